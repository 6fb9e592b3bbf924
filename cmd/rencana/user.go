package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// grantList collects repeated --role ROLE@SCOPE flags.
type grantList []domain.Grant

func (g *grantList) String() string { return fmt.Sprint(*g) }

func (g *grantList) Set(v string) error {
	role, scope, ok := strings.Cut(v, "@")
	if !ok || role == "" || scope == "" {
		return fmt.Errorf("want ROLE@SCOPE, e.g. camat@74.05.03, got %q", v)
	}
	*g = append(*g, domain.Grant{Role: domain.Role(role), Scope: scope})
	return nil
}

// runUser implements `rencana user create`.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: rencana user create --username U --full-name N [--password P] [--email E] [--role ROLE@SCOPE ...]")
	}
	var (
		username, fullName, password, email string
		grants                              grantList
	)
	cfg, _, err := config.Load(config.ModeUser, args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "login name (required)")
		fs.StringVar(&fullName, "full-name", "", "full name as shown to others (required)")
		fs.StringVar(&password, "password", "", "password; generated and printed when empty")
		fs.StringVar(&email, "email", "", "mail address for notifications (optional)")
		fs.Var(&grants, "role", "grant ROLE@SCOPE, repeatable (e.g. camat@74.05.03, admin@*)")
	})
	if err != nil {
		return err
	}
	generated := password == ""
	if generated {
		password = demo.GeneratePassword()
	}
	var v domain.Validation
	auth.ValidateUsername(&v, "--username", username)
	auth.ValidatePassword(&v, "--password", password, username, fullName)
	if strings.TrimSpace(fullName) == "" {
		v.Add("--full-name", "wajib diisi")
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
			v.Add("--email", "alamat surel tidak valid")
		}
	}
	if err := v.Err(); err != nil {
		return describe(err)
	}

	log := cfg.Logger(stderr)
	db, err := app.OpenStore(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close()
	authz, err := policies.New(ctx, db)
	if err != nil {
		return err
	}
	defer authz.Close()

	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if err := db.CreateUser(ctx, store.User{Username: username, FullName: fullName, PasswordHash: hash, Email: email}); err != nil {
		return describe(err)
	}
	for _, g := range grants {
		if err := authz.AddGrant(ctx, "cli", username, g); err != nil {
			return describe(fmt.Errorf("grant %s@%s: %w", g.Role, g.Scope, err))
		}
	}
	fmt.Fprintf(stdout, "created user %s with %d role(s)\n", username, len(grants))
	if generated {
		fmt.Fprintf(stdout, "password: %s\n", password)
	}
	return nil
}

// describe spells out a domain error's field errors for a terminal.
func describe(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	var b strings.Builder
	b.WriteString(de.Message)
	for _, f := range de.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return errors.New(b.String())
}
