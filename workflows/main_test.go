package workflows

import (
	"os"
	"testing"

	"github.com/rencana-id/rencana/internal/devserver/devservertest"
)

func TestMain(m *testing.M) { os.Exit(devservertest.RunTests(m)) }
