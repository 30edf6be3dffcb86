//go:build !bench

package main

// The cluster's API checked for linearizability with porcupine: the
// subject of each of a few letters is a register that clients write (the
// qualify action, with an Idempotency-Key, sent again to another node
// until it is answered, as a careful client does) and read (a strong
// read, ?consistency=strong, on any node). Every operation is recorded
// with the times it was called and answered; porcupine then looks for an
// order of the operations, each taking effect between its call and its
// answer, in which every read returns the last value written. A lost
// acknowledged write, or a read that misses a write answered before it
// began, has no such order.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// regInput is one operation on the register of a letter's subject.
type regInput struct {
	Key   string // the letter's id
	Write bool
	Value string // written, for a write
}

// regOutput is what a read returned.
type regOutput struct{ Value string }

// initialSubject is the subject the letters of a register load start with.
const initialSubject = "sujet initial"

// never is the answer time of a write whose outcome the client never
// learnt: it may take effect at any point after its call.
const never = math.MaxInt64

// subjectModel is a register per letter, partitioned by letter: the
// letters are independent, which keeps porcupine's search small.
var subjectModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(regInput).Key
			if by[k] == nil {
				keys = append(keys, k)
			}
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() any { return initialSubject },
	Step: func(state, input, output any) (bool, any) {
		in := input.(regInput)
		if in.Write {
			return true, in.Value
		}
		return output.(regOutput).Value == state.(string), state
	},
	Equal: func(a, b any) bool { return a == b },
	DescribeOperation: func(input, output any) string {
		in := input.(regInput)
		if in.Write {
			return fmt.Sprintf("write(%s, %q)", in.Key, in.Value)
		}
		return fmt.Sprintf("read(%s) → %q", in.Key, output.(regOutput).Value)
	},
}

// opLog records operations with times from one clock.
type opLog struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

func newOpLog() *opLog { return &opLog{start: time.Now()} }

func (l *opLog) now() int64 { return int64(time.Since(l.start)) }

func (l *opLog) add(client int, in regInput, out regOutput, call, ret int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
}

// history is a copy of the operations recorded so far.
func (l *opLog) history() []porcupine.Operation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]porcupine.Operation(nil), l.ops...)
}

// checkLinearizable runs porcupine on a history; a violation or a search
// that does not end fails the test, with a visualisation of the history
// written where the log says.
func checkLinearizable(t *testing.T, what string, ops []porcupine.Operation) {
	t.Helper()
	res, info := porcupine.CheckOperationsVerbose(subjectModel, ops, 2*time.Minute)
	if res == porcupine.Ok {
		t.Logf("%s: %d operations linearizable (porcupine)", what, len(ops))
		return
	}
	t.Errorf("%s: porcupine says %s for %d operations; %s", what, res, len(ops), visualise(t, what, info))
}

// violates says whether porcupine finds the history not linearizable.
func violates(t *testing.T, ops []porcupine.Operation) bool {
	t.Helper()
	res := porcupine.CheckOperationsTimeout(subjectModel, ops, 2*time.Minute)
	if res == porcupine.Unknown {
		t.Fatal("porcupine did not finish its search")
	}
	return res == porcupine.Illegal
}

// visualise writes porcupine's HTML view of a history next to the test's
// files and says where, for whoever reads a failure.
func visualise(t *testing.T, what string, info porcupine.LinearizationInfo) string {
	dir, err := os.MkdirTemp("", "missive-porcupine-")
	if err != nil {
		return err.Error()
	}
	p := filepath.Join(dir, "history.html")
	if err := porcupine.VisualizePath(subjectModel, info, p); err != nil {
		return err.Error()
	}
	return "history: " + p
}

// regLoad is the register workload against the nodes of a cluster.
type regLoad struct {
	c    *binCluster
	tok  string
	keys []string
	log  *opLog
	// nodes are the indexes of the nodes clients start on and fall back
	// to, in turn.
	nodes []int

	mu      sync.Mutex
	bad     []string // answers a careful client must never get
	written int      // writes answered
	read    int      // strong reads answered
}

// newRegLoad registers the letters whose subjects are the registers.
func newRegLoad(t *testing.T, c *binCluster, tok string, letters int) *regLoad {
	l := &regLoad{c: c, tok: tok, log: newOpLog()}
	for i := range letters {
		var x apiLetter
		c.node(i%len(c.nodes)).must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "internal", "subject": initialSubject}, &x)
		l.keys = append(l.keys, x.ID)
	}
	for i := range c.nodes {
		l.nodes = append(l.nodes, i)
	}
	return l
}

func (l *regLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bad = append(l.bad, fmt.Sprintf(format, args...))
}

// run is one client until stop is closed: writes and strong reads of
// random letters, half and half, starting on its own node.
func (l *regLoad) run(client int, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	rnd := rand.New(rand.NewPCG(uint64(client), 7))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		key := l.keys[rnd.IntN(len(l.keys))]
		home := l.nodes[(client+i)%len(l.nodes)]
		if rnd.IntN(2) == 0 {
			l.write(client, home, key, fmt.Sprintf("c%d-%d", client, i))
		} else {
			l.strongRead(client, home, key)
		}
	}
}

// write sets a letter's subject, sending the request again with its key
// to the next node after a 503 or a broken connection, until answered or
// two minutes passed (then its outcome stays unknown).
func (l *regLoad) write(client, home int, key, value string) {
	in := regInput{Key: key, Write: true, Value: value}
	call := l.log.now()
	deadline := time.Now().Add(2 * time.Minute)
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		s := l.c.node(l.nodes[(home+attempt)%len(l.nodes)])
		code, b, _, err := s.callKeyed("POST", "/api/v1/letters/"+key+"/actions/qualify", l.tok, "sujet-"+value, map[string]any{"subject": value})
		switch {
		case err == nil && code == 200:
			var x apiLetter
			if json.Unmarshal(b, &x) != nil || x.Subject != value {
				l.fail("write %s on %s: answered %s", value, s.url, b)
			}
			l.log.add(client, in, regOutput{}, call, l.log.now())
			l.mu.Lock()
			l.written++
			l.mu.Unlock()
			return
		case err == nil && code != 503:
			l.fail("write %s on %s: %d %s", value, s.url, code, b)
			l.log.add(client, in, regOutput{}, call, never)
			return
		}
		// A refused client pauses before its next operation: the pause paces the load; porcupine checks what was answered, whenever.
		time.Sleep(50 * time.Millisecond)
	}
	l.log.add(client, in, regOutput{}, call, never)
}

// strongRead reads a letter's subject with ?consistency=strong; a read
// that is not answered 200 is not recorded (it returned nothing).
func (l *regLoad) strongRead(client, node int, key string) {
	s := l.c.node(node)
	call := l.log.now()
	code, b, err := s.call("GET", "/api/v1/letters/"+key+"?consistency=strong", l.tok, nil)
	ret := l.log.now()
	switch {
	case err != nil || code == 503:
		// As above, after an unanswered read.
		time.Sleep(50 * time.Millisecond)
		return
	case code != 200:
		l.fail("strong read on %s: %d %s", s.url, code, b)
		return
	}
	var got struct{ Letter apiLetter }
	if err := json.Unmarshal(b, &got); err != nil {
		l.fail("strong read on %s: %v %s", s.url, err, b)
		return
	}
	l.log.add(client, regInput{Key: key}, regOutput{got.Letter.Subject}, call, ret)
	l.mu.Lock()
	l.read++
	l.mu.Unlock()
}

// session is a client that stays on one node with a letter of its own:
// it writes there and reads there without ?consistency=strong, which the
// cluster promises to show its own writes (read your writes). A write the
// node refuses is not sent elsewhere: its outcome stays unknown.
func (l *regLoad) session(client, node int, key string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		s := l.c.node(node)
		value := fmt.Sprintf("s%d-%d", client, i)
		in := regInput{Key: key, Write: true, Value: value}
		call := l.log.now()
		code, b, _, err := s.callKeyed("POST", "/api/v1/letters/"+key+"/actions/qualify", l.tok, "sujet-"+value, map[string]any{"subject": value})
		switch {
		case err == nil && code == 200:
			l.log.add(client, in, regOutput{}, call, l.log.now())
		case err == nil && code != 503:
			l.fail("session write %s on %s: %d %s", value, s.url, code, b)
			l.log.add(client, in, regOutput{}, call, never)
		default:
			l.log.add(client, in, regOutput{}, call, never)
			// A session cut off from the leader pauses before its next try: the pause paces the load.
			time.Sleep(time.Second)
		}
		call = l.log.now()
		code, b, err = s.call("GET", "/api/v1/letters/"+key, l.tok, nil)
		ret := l.log.now()
		if err != nil || code != 200 {
			if err == nil && code != 503 {
				l.fail("session read on %s: %d %s", s.url, code, b)
			}
			continue
		}
		var got struct{ Letter apiLetter }
		if err := json.Unmarshal(b, &got); err != nil {
			l.fail("session read on %s: %v %s", s.url, err, b)
			continue
		}
		l.log.add(client, regInput{Key: key}, regOutput{got.Letter.Subject}, call, ret)
	}
}

// finalReads reads every register on every node once the cluster is whole
// again: the last word of the history.
func (l *regLoad) finalReads(client int) {
	for i := range l.c.nodes {
		for _, k := range l.keys {
			l.strongRead(client, i, k)
		}
	}
}

// check fails the test on a bad answer or a history porcupine rejects.
func (l *regLoad) check(t *testing.T, what string) {
	t.Helper()
	l.mu.Lock()
	bad, written, read := l.bad, l.written, l.read
	l.mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
	if written == 0 || read == 0 {
		t.Fatalf("%s: %d writes and %d strong reads answered: nothing to check", what, written, read)
	}
	checkLinearizable(t, what, l.log.history())
}
