# French date and time formats of the whole site (pages, emails, admin): « 23 h 59 ».
DATETIME_FORMAT = r"j F Y à H \h i"
TIME_FORMAT = r"H \h i"
SHORT_DATETIME_FORMAT = r"d/m/Y H \h i"
