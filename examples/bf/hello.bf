Hello World for the kiln Brainfuck example
Cell 0 counts ten rounds that fill cells 1 to 4 with 70 100 30 10
++++++++++
[
    >+++++++ >++++++++++ >+++ >+ <<<<-
]
>++.                    H
>+.                     e
+++++++..               l l
+++.                    o
>++++++++++++++.        comma
------------.           space
<<+++++++++++++++.      W
>.                      o
+++.                    r
------.                 l
--------.               d
>+.                     bang
>.                      newline
