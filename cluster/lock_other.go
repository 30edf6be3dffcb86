//go:build !unix

package cluster

// lockDir is a no-op where flock does not exist; bolt's own file lock still
// stops a second process, only with a less helpful message.
func lockDir(string) (func(), error) { return func() {}, nil }
