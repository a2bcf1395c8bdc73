package sodra

import (
	"encoding/json"
	"fmt"
	"time"
)

// checkpoint is a stream's saved position: the greatest (updated_at, id) of
// the pages accepted so far. The next pass asks for updated_since=UpdatedAt
// (inclusive), so it sees the last records again and skips those at or
// before (UpdatedAt, ID). Page tokens are not kept: they are opaque and may
// expire, and updated_since resumes a listing on its own. (Positions saved
// by earlier versions may hold a next_page_token; it is ignored.)
type checkpoint struct {
	UpdatedAt time.Time `json:"updated_at"`
	ID        string    `json:"id"`
}

func (c checkpoint) position() position { return position{c.UpdatedAt, c.ID} }

func (c checkpoint) String() string {
	b, _ := json.Marshal(c) // a struct of strings and a time cannot fail
	return string(b)
}

func parseCheckpoint(s string) (checkpoint, error) {
	var c checkpoint
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, fmt.Errorf("unreadable position %q: %w", s, err)
	}
	return c, nil
}
