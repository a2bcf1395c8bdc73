package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ccbench/ccbench/config"
	"github.com/ccbench/ccbench/records"
	"github.com/ccbench/ccbench/store"
)

func TestQuarantineList(t *testing.T) {
	path := compareSetup(t)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.DSN(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	qs := []records.Quarantined{
		{Institution: "sodra", Source: "sodra-cc", Stream: "contacts", RecordID: "c-17", Field: "channel", Reason: `unknown channel "pigeon"`, Raw: `{"id":"c-17"}`, Origin: "page 3", ReceivedAt: at},
		{Institution: "sodra", Source: "other", Stream: "contacts", RecordID: "c-18", Field: "talk_s", Reason: "negative seconds", Raw: `{"id":"c-18"}`, Origin: "page 4", ReceivedAt: at.Add(time.Minute)},
	}
	if err := st.Quarantine(context.Background(), qs); err != nil {
		t.Fatal(err)
	}

	out, err := runApp(t, "quarantine", "list", "--config", path, "--source", "sodra-cc", "--raw")
	if err != nil {
		t.Fatalf("quarantine list: %v\n%s", err, out)
	}
	for _, want := range []string{"1 quarantined records, showing 1", "c-17", "channel", `unknown channel "pigeon"`, `raw: {"id":"c-17"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "c-18") {
		t.Errorf("--source sodra-cc lists another source's record:\n%s", out)
	}
	out, err = runApp(t, "quarantine", "list", "--config", path)
	if err != nil || !strings.Contains(out, "2 quarantined records, showing 2") {
		t.Errorf("all sources: %v\n%s", err, out)
	}
	out, err = runApp(t, "quarantine", "list", "--config", path, "--limit", "1")
	if err != nil || !strings.Contains(out, "2 quarantined records, showing 1") || !strings.Contains(out, "c-18") {
		t.Errorf("--limit 1: %v, want the newest record only\n%s", err, out)
	}
}

// `register load` (run by compareSetup) puts the configuration's targets
// into ClickHouse, with the KPI's usual direction filled in.
func TestRegisterLoadTargets(t *testing.T) {
	path := compareSetup(t)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.DSN(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Targets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []records.Target{{Institution: "sodra", KPI: "service_level", Value: 0.3, Direction: "at_least"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("targets in ClickHouse: %+v, want %+v", got, want)
	}
}
