package ledger_test

import (
	"testing"
	. `github.com/acme/core-utils/v2/pkg/money`
	_ "github.com/acme/core-utils/v2/pkg/money/register"
)

func TestZero(t *testing.T) { _ = Zero }
