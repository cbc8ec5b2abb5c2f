// Package urlpath escapes ids as segments of URL paths, for the client
// and for the API's Location header alike.
package urlpath

import "net/url"

// Segment escapes s as one segment of a URL path. Beyond url.PathEscape
// it escapes "." and "..": a client and a server that clean paths (Go's
// net/http does) would take them for the current and the parent
// directory, so that the id named the wrong resource. "%2E" and "%2E%2E"
// are the same segment unescaped (RFC 3986 §2.3) and survive cleaning.
func Segment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}
