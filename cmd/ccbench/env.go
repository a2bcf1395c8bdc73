package main

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/urfave/cli/v2"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/store"
)

// loadConfig loads the configuration named by --config.file; a missing or
// invalid file is a usage error.
func loadConfig(c *cli.Context) (*config.Config, error) {
	path := c.String("config.file")
	if path == "" {
		return nil, usageErrorf("no configuration: pass --config.file or set %s", config.EnvConfig)
	}
	cfg, err := config.Load(path)
	return cfg, asUsageError(err)
}

// openConfiguredStore loads the configuration named by --config and
// connects to its ClickHouse (see openStore); the caller closes the store.
func openConfiguredStore(c *cli.Context) (*config.Config, *store.Store, error) {
	cfg, err := loadConfig(c)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(c, cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// openStore connects to the configured ClickHouse, creating its database
// when missing.
func openStore(c *cli.Context, cfg *config.Config) (*store.Store, error) {
	ctx := c.Context
	logger, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	dsn := cfg.DSN()
	if dsn == "" {
		return nil, usageErrorf("no ClickHouse DSN: set clickhouse.dsn in %s or %s", cfg.Path(), config.EnvClickHouseDSN)
	}
	password, err := cfg.ClickHousePassword()
	if err != nil {
		return nil, asUsageError(err)
	}
	// ClickHouse may still be starting (or restarting): retry with backoff
	// for a while before giving up.
	b := backoff.NewExponentialBackOff()
	b.MaxElapsedTime = c.Duration("clickhouse.wait")
	return backoff.RetryNotifyWithData(func() (*store.Store, error) {
		st, err := connectStore(ctx, cfg, dsn, password)
		if err != nil {
			return nil, err
		}
		st.SetParams(cfg.Params) // the thresholds the rollups are counted with
		st.SetZones(cfg.Zone)    // the zones whose local days the written rollup counts
		st.SetSecondsHorizon(cfg.Exporter.SecondsHorizon(), time.Now)
		return st, nil
	}, backoff.WithContext(b, ctx), func(err error, next time.Duration) {
		logger.Warn("ClickHouse not reachable, retrying", "err", err, "retry_in", next.Round(time.Millisecond))
	})
}

// connectStore creates the database if it is missing and opens it, on the
// configured cluster or on a single server.
func connectStore(ctx context.Context, cfg *config.Config, dsn, password string) (*store.Store, error) {
	if cluster := cfg.ClickHouse.Cluster; cluster != "" {
		if err := store.EnsureClusterDatabase(ctx, dsn, password, cluster); err != nil {
			return nil, err
		}
		return store.OpenCluster(ctx, dsn, password, store.ClusterOptions{Name: cluster})
	}
	if err := store.EnsureDatabase(ctx, dsn, password); err != nil {
		return nil, err
	}
	return store.Open(ctx, dsn, password)
}
