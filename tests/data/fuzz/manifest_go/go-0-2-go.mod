 module example.com/broken2

require github.com/acme/core-utils 1.4.0
