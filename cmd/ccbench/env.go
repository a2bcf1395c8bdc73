package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/store"
)

// loadConfig loads the configuration named by --config.
func loadConfig(c *cli.Context) (*config.Config, error) {
	path := c.String("config")
	if path == "" {
		return nil, fmt.Errorf("no configuration: pass --config or set %s", config.EnvConfig)
	}
	return config.Load(path)
}

// openStore connects to the configured ClickHouse, creating its database
// when missing.
func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	dsn := cfg.DSN()
	if dsn == "" {
		return nil, fmt.Errorf("no ClickHouse DSN: set clickhouse.dsn in %s or %s", cfg.Path(), config.EnvClickHouseDSN)
	}
	password, err := cfg.ClickHousePassword()
	if err != nil {
		return nil, err
	}
	if err := store.EnsureDatabase(ctx, dsn, password); err != nil {
		return nil, err
	}
	return store.Open(ctx, dsn, password)
}
