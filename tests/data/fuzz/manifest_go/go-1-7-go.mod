qmodule example.com/edge

go 1.20

require (
    github.com/acme/core-utils v1.4.1-0.20240102030405-abcdef123456
    rsc.io/quote/v3 v3.1.0
)
