package sodra

import (
	"encoding/json"
	"fmt"
	"time"
)

// checkpoint is a stream's saved position: the greatest (updated_at, id) of
// the pages accepted so far and the token of the page after the last one.
// The next pass asks for updated_since=UpdatedAt (inclusive), so it sees the
// last records again and skips those at or before (UpdatedAt, ID).
type checkpoint struct {
	UpdatedAt     time.Time `json:"updated_at"`
	ID            string    `json:"id"`
	NextPageToken string    `json:"next_page_token,omitempty"`
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
