package store

import (
	"strconv"
	"strings"
	"time"
)

// quoteString renders s as a ClickHouse string literal.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteIdent renders name as a ClickHouse identifier.
func quoteIdent(name string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(name) + "`"
}

// timeLiteral renders t, truncated to the second, as a DateTime expression
// in UTC that does not depend on the server's time zone.
func timeLiteral(t time.Time) string {
	return "toDateTime(" + strconv.FormatInt(t.Unix(), 10) + ", 'UTC')"
}

// floatLiteral renders f as a numeric literal.
func floatLiteral(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
