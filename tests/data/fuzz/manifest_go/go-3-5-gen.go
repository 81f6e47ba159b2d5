Spackage tools

import _ "github.com/acme/core-utils/pkg/gen"
