package collectors

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

// passSink records which pass wrote and whether it was finished.
type passSink struct {
	nopSink
	finished bool
	fail     error
}

func (p *passSink) Finish(context.Context) error {
	p.finished = true
	return p.fail
}

// TestRunnerFinishesEveryPass checks that each pass of each collector gets
// its own pass sink and that the runner finishes it, also when the pass
// failed, and reports a failed Finish.
func TestRunnerFinishesEveryPass(t *testing.T) {
	for _, c := range []struct {
		name       string
		collectErr error
		finishErr  error
		wantErr    []string
	}{
		{name: "ok"},
		{name: "pass fails", collectErr: errors.New("boom"), wantErr: []string{"boom"}},
		{name: "finish fails", finishErr: errors.New("recount failed"), wantErr: []string{"finish pass", "recount failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var (
				mu    sync.Mutex
				sinks []*passSink
			)
			r := &Runner{Sink: nopSink{}, Collectors: []Collector{
				&fakeCollector{name: "a", errs: []error{c.collectErr}}, &fakeCollector{name: "b", errs: []error{c.collectErr}},
			}, BeginPass: func(context.Context) (PassSink, error) {
				mu.Lock()
				defer mu.Unlock()
				p := &passSink{fail: c.finishErr}
				sinks = append(sinks, p)
				return p, nil
			}}
			_, err := r.RunOnce(context.Background())
			for _, want := range c.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want one mentioning %q", err, want)
				}
			}
			if len(c.wantErr) == 0 && err != nil {
				t.Errorf("error %v, want none", err)
			}
			if len(sinks) != 2 {
				t.Fatalf("%d pass sinks, want one per collector", len(sinks))
			}
			for i, p := range sinks {
				if !p.finished {
					t.Errorf("pass %d was not finished", i)
				}
			}
		})
	}
}

// TestRunnerBeginPassFailure checks that a pass that cannot begin fails
// without running the collector.
func TestRunnerBeginPassFailure(t *testing.T) {
	col := &fakeCollector{name: "a"}
	r := &Runner{Sink: nopSink{}, Collectors: []Collector{col}, BeginPass: func(context.Context) (PassSink, error) {
		return nil, errors.New("recovery failed")
	}}
	if _, err := r.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "recovery failed") {
		t.Errorf("error %v, want the begin failure", err)
	}
	if col.passes.Load() != 0 {
		t.Errorf("the collector ran %d passes, want none", col.passes.Load())
	}
}
