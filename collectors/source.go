package collectors

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ccbench/ccbench/config"
)

// BaseURL returns the source's base_url without its trailing slash, or a
// ConfigError when it is not an absolute http(s) URL.
func BaseURL(src config.Source) (string, error) {
	u, err := url.Parse(src.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &ConfigError{Source: src.Name, Msg: fmt.Sprintf("base_url: want an absolute http(s) URL, got %q", src.BaseURL)}
	}
	return strings.TrimSuffix(src.BaseURL, "/"), nil
}
