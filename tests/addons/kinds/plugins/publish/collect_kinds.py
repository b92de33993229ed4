# A publish plugin of the kinds test addon; only its folder matters.
