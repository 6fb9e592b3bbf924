package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/refdata"
)

// runImport implements `rencana import nomenclature FILE --valid-from-year N`.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "usage: rencana import nomenclature FILE --valid-from-year N [--name NAME]"
	if len(args) < 2 || args[0] != "nomenclature" {
		return errors.New(use)
	}
	file := args[1]
	var (
		year int
		name string
	)
	cfg, _, err := config.Load(config.ModeImport, args[2:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.IntVar(&year, "valid-from-year", 0, "first fiscal year the version applies to (required)")
		fs.StringVar(&name, "name", "", "version name, e.g. the Kepmendagri number")
	})
	if err != nil {
		return err
	}
	if year < 2000 || year > 2100 {
		return errors.New("--valid-from-year: give the first fiscal year the version applies to, e.g. 2027")
	}
	if name == "" {
		name = file
	}
	log := cfg.Logger(stderr)
	db, err := app.OpenStore(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := refdata.ImportNomenclature(ctx, db, file, year, name); err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "imported nomenclature %q valid from fiscal year %d\n", name, year)
	return nil
}
