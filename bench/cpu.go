package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ccbench/ccbench/store"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat: Linux reports
// them in USER_HZ, 100 a second on every architecture Go supports.
const userHZ = 100

// processCPU returns the CPU time (user and system, all threads) that the
// process pid has used, and false where /proc cannot tell (not Linux).
func processCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return statCPU(string(b))
}

// statCPU reads utime and stime, the 14th and 15th fields of a
// /proc/<pid>/stat line. The command name, the 2nd, is in parentheses and
// may hold spaces and parentheses: the fields are counted from after its
// last closing one.
func statCPU(stat string) (time.Duration, bool) {
	fields := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	user, err1 := strconv.ParseInt(fields[11], 10, 64)
	sys, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(user+sys) * time.Second / userHZ, true
}

// selfCPU returns the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childCPU returns the CPU time a finished child process used.
func childCPU(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

// serverMeter reads the CPU time of the bench's ClickHouse server around a
// step, once the merges the step started have ended, so that the server's
// share of a step includes the merges its writes cost and nothing of the
// step before.
type serverMeter struct {
	pid int
	st  *store.Store
}

// quiet waits until ClickHouse runs no merge (at most a minute) and
// returns the server's CPU time then, and false where it cannot be read.
func (m serverMeter) quiet(ctx context.Context) (time.Duration, bool, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := m.st.Merges(ctx)
		if err != nil {
			return 0, false, err
		}
		if n == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	cpu, ok := processCPU(m.pid)
	return cpu, ok, nil
}

// measure runs step between two quiet points (see quiet) and returns its
// cost: the client's CPU time, which step returns, and the server's
// meanwhile.
func (m serverMeter) measure(ctx context.Context, step func() (client time.Duration, err error)) (cpuCost, error) {
	server0, ok0, err := m.quiet(ctx)
	if err != nil {
		return cpuCost{}, err
	}
	client, err := step()
	if err != nil {
		return cpuCost{}, err
	}
	server1, ok1, err := m.quiet(ctx)
	if err != nil {
		return cpuCost{}, err
	}
	return cpuCost{client: client, server: server1 - server0, measured: ok0 && ok1}, nil
}

// cpuCost is the CPU time a step of the ingest took: the client's (the
// collector, clickhouse-client, or this process for the sink) and the
// ClickHouse server's, the latter zero where it could not be read.
type cpuCost struct {
	client, server time.Duration
	measured       bool
}

func (c cpuCost) total() time.Duration { return c.client + c.server }
