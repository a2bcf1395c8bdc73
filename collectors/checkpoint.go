package collectors

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ccbench/ccbench/records"
)

// LoadMapCheckpoint reads the checkpoint of a source stream whose position
// is a JSON object, such as {"2024-01": 2}. A stream never saved, or saved
// empty or as null, is an empty (non-nil) map.
func LoadMapCheckpoint[V any](ctx context.Context, sink Sink, source, stream string) (map[string]V, error) {
	cp, ok, err := sink.Checkpoint(ctx, source, stream)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint %s/%s: %w", source, stream, err)
	}
	m := map[string]V{}
	if !ok || cp.Position == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(cp.Position), &m); err != nil {
		return nil, fmt.Errorf("checkpoint %s/%s: unreadable position %q: %w", source, stream, cp.Position, err)
	}
	if m == nil { // the position was null
		m = map[string]V{}
	}
	return m, nil
}

// SaveMapCheckpoint saves m, as a JSON object with sorted keys, as the
// position of a source stream, updated at the given time.
func SaveMapCheckpoint[V any](ctx context.Context, sink Sink, source, stream string, m map[string]V, at time.Time) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding checkpoint %s/%s: %w", source, stream, err)
	}
	cp := records.Checkpoint{Source: source, Stream: stream, Position: string(b), UpdatedAt: at}
	if err := sink.SaveCheckpoint(ctx, cp); err != nil {
		return fmt.Errorf("saving checkpoint %s/%s: %w", source, stream, err)
	}
	return nil
}
