# A load plugin of the kinds test addon; only its folder matters.
