# What kinds-dcc runs at start-up: the in-DCC side of the kinds addon.
print("kinds-dcc: Qi's menu would be built here")
