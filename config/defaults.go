package config

import "time"

// Defaults of the configuration, set once here and applied by Parse; the
// packages that read a Config rely on them being set and repeat none.
const (
	DefaultRefreshInterval = 30 * time.Second // exporter.refresh_interval
	DefaultRefreshTimeout  = 25 * time.Second // exporter.refresh_timeout
	DefaultPollInterval    = time.Minute      // sources[].poll_interval
	DefaultPageSize        = 500              // sources[].page_size
	DefaultSourceTimeout   = 30 * time.Second // sources[].timeout, per request
)
