module example.com/ahead

require github.com/acme/core-utils/v2 v2.1.0