package main

// Helpers of both the cluster tests and the cluster bench.

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
)

// freeAddr is a free port for a cluster port given on the command line.
// It is drawn below Linux's ephemeral range (32768 and up, where :0 and
// outgoing connections take theirs), so that nothing takes it between
// this check and the node's bind, nor while a node restarts.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr
		}
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

// lastLine is the last non-empty line of a command's output.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
