package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/schema"
	"github.com/ccbench/ccbench/servers/servertest"
	"github.com/ccbench/ccbench/store"
)

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	dsn := servertest.DSN(t)
	s, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	migrations, err := schema.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	applied, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(applied) != len(migrations) || applied[0] != "0001_initial" {
		t.Fatalf("first migrate applied %v, want all %d migrations starting with 0001_initial", applied, len(migrations))
	}
	applied, err = s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v, want nothing", applied)
	}

	tables, err := s.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"schema_migrations", "contacts", "feedback", "aggregates", "checkpoints", "quarantine", "practices", "reported_figures", "calendar_days"} {
		if !contains(tables, want) {
			t.Errorf("table %s missing; tables: %v", want, tables)
		}
	}
}

func TestMigrateRefusesTamperedChecksum(t *testing.T) {
	ctx := context.Background()
	dsn := servertest.DSN(t)
	s, err := store.Open(ctx, dsn, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "ALTER TABLE schema_migrations DELETE WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordMigration(ctx, 1, "initial", "tampered"); err != nil {
		t.Fatal(err)
	}
	// ALTER ... DELETE is an asynchronous mutation: wait for it.
	for i := 0; ; i++ {
		n, err := s.Count(ctx, "SELECT count() FROM schema_migrations WHERE version = 1 AND checksum != 'tampered'")
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i == 100 {
			t.Fatal("the delete mutation did not finish in 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, err = s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "checksum") || !strings.Contains(err.Error(), "0001_initial") {
		t.Fatalf("migrate with a tampered checksum: got %v, want an error naming 0001_initial and its checksum", err)
	}
}

func TestMigrateRefusesUnknownMigration(t *testing.T) {
	ctx := context.Background()
	s := servertest.NewStore(t)
	if err := s.RecordMigration(ctx, 9999, "future", "x"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "9999_future") {
		t.Fatalf("migrate with an unknown applied migration: got %v, want an error naming 9999_future", err)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
