package workflows

import (
	"os"
	"testing"

	"github.com/rencana-id/rencana/internal/devserver"
)

func TestMain(m *testing.M) { os.Exit(devserver.RunTests(m)) }
