
0Â>-

old$
AAAAAAAAAAAAAAA1span0001*legacy