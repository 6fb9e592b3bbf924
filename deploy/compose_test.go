// Package deploy holds what runs rencana outside Go: the compose file's
// checks live here (there is no Docker engine on the build machines).
package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
)

// TestComposeFileIsValid loads docker-compose.yml with compose-go, the
// loader `docker compose config` itself uses (schema validation,
// interpolation of the required secrets, anchors and merges), then checks
// what an operator relies on: a health check on every long-running service,
// one-shot jobs awaited by completion, Temporal without auto-setup, a proxy
// in front of a scalable API.
func TestComposeFileIsValid(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	for k, v := range map[string]string{"POSTGRES_PASSWORD": "x", "RENCANA_JWT_SECRET": strings.Repeat("s", 32), "MINIO_ROOT_PASSWORD": "minio-secret"} {
		t.Setenv(k, v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithOsEnv, cli.WithWorkingDirectory(root), cli.WithName("rencana"))
	require.NoError(t, err)
	p, err := opts.LoadProject(context.Background())
	require.NoError(t, err)

	oneShot := map[string]bool{"temporal-schema": true, "temporal-namespace": true, "minio-init": true, "rencana-migrate": true}
	for name, s := range p.Services {
		if oneShot[name] {
			require.Equal(t, "no", s.Restart, "%s runs once", name)
			continue
		}
		require.NotNil(t, s.HealthCheck, "%s has a health check", name)
		require.False(t, s.HealthCheck.Disable, "%s health check on", name)
		require.NotEmpty(t, s.HealthCheck.Test, name)
		require.NotContains(t, s.Image, "auto-setup", "%s: no dev-oriented auto-setup image", name)
	}
	require.Equal(t, "temporalio/server:1.29.1", p.Services["temporal"].Image)
	require.Equal(t, "temporalio/admin-tools:1.29.1", p.Services["temporal-schema"].Image)
	require.Contains(t, strings.Join(p.Services["temporal-schema"].Command, " "), "update-schema --schema-name postgresql/v12/visibility")

	dep := func(svc, on, cond string) {
		t.Helper()
		d, ok := p.Services[svc].DependsOn[on]
		require.True(t, ok, "%s depends on %s", svc, on)
		require.Equal(t, cond, d.Condition, "%s waits for %s", svc, on)
	}
	dep("temporal-schema", "postgres", types.ServiceConditionHealthy)
	dep("temporal", "temporal-schema", types.ServiceConditionCompletedSuccessfully)
	dep("temporal-namespace", "temporal", types.ServiceConditionHealthy)
	dep("rencana-api", "rencana-migrate", types.ServiceConditionCompletedSuccessfully)
	dep("rencana-api", "temporal-namespace", types.ServiceConditionCompletedSuccessfully)
	dep("rencana-api", "minio-init", types.ServiceConditionCompletedSuccessfully)
	dep("rencana-worker", "temporal-namespace", types.ServiceConditionCompletedSuccessfully)
	dep("minio-init", "minio", types.ServiceConditionHealthy)
	dep("proxy", "rencana-api", types.ServiceConditionHealthy)

	api := p.Services["rencana-api"]
	require.Empty(t, api.Ports, "the API publishes no fixed port, so --scale works; the proxy does")
	require.Empty(t, api.ContainerName)
	require.NotEmpty(t, p.Services["proxy"].Ports)
	require.Contains(t, *api.Environment["DATABASE_URL"], "sslmode=")
	require.Equal(t, []string{"CMD", "/usr/local/bin/rencana", "probe", "http://127.0.0.1:8080/readyz"}, []string(api.HealthCheck.Test))
	require.Contains(t, p.Services["rencana-worker"].Command, "--metrics-addr")

	caddy, err := os.ReadFile(filepath.Join(root, "deploy", "caddy", "Caddyfile"))
	require.NoError(t, err)
	require.Contains(t, string(caddy), "name rencana-api")
	require.Contains(t, string(caddy), "respond @metrics 404")
}
