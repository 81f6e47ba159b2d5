module example.com/edge

go 1.20

require (
    github.com/acme/core-utils v1.5.0
    rsc.io/quote/v3 v3.1.0
)
