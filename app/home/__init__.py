"""Each role's start page: the only package that reads many features at once."""
