// Command firstframe starts a program on a pseudo-terminal (120×40, TERM
// xterm-256color) and exits as soon as the program has put visible text on
// the screen, printing how long that took; the program is then killed.
// Timed from the outside (/usr/bin/time, hyperfine), its whole run is the
// program's time to its first frame plus this harness's few milliseconds.
//
//	go build -o /tmp/firstframe ./bench/firstframe
//	/tmp/firstframe ./datalayer rehearse restore
//
// With -answer it answers the terminal queries a real terminal answers
// (background colour, cursor position, device attributes); without it the
// terminal stays silent, as some web and relayed terminals do.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"time"

	"github.com/creack/pty"
)

// escapes matches terminal escape sequences, which are not text.
var escapes = regexp.MustCompile(`\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[()][A-Za-z0-9]|[=>78])`)

// answers are what a terminal replies to the queries programs send.
var answers = []struct{ query, answer string }{
	{"\x1b]11;?", "\x1b]11;rgb:0000/0000/0000\x1b\\"},
	{"\x1b]10;?", "\x1b]10;rgb:ffff/ffff/ffff\x1b\\"},
	{"\x1b[6n", "\x1b[1;1R"},
	{"\x1b[c", "\x1b[?62;22c"},
}

func main() {
	answer := flag.Bool("answer", false, "answer the terminal queries a real terminal answers")
	limit := flag.Duration("limit", 30*time.Second, "give up after this long")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: firstframe [-answer] PROGRAM [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	start := time.Now()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstframe:", err)
		os.Exit(1)
	}
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait(); _ = tty.Close() }()
	type chunk struct {
		b   []byte
		err error
	}
	chunks := make(chan chunk)
	go func() {
		for {
			buf := make([]byte, 32*1024)
			n, err := tty.Read(buf)
			chunks <- chunk{buf[:n], err}
			if err != nil {
				return
			}
		}
	}()
	var out []byte
	timeout := time.After(*limit)
	for {
		select {
		case c := <-chunks:
			out = append(out, c.b...)
			if *answer {
				for _, a := range answers {
					if bytes.Contains(c.b, []byte(a.query)) {
						_, _ = tty.WriteString(a.answer)
					}
				}
			}
			if len(bytes.TrimSpace(escapes.ReplaceAll(out, nil))) > 0 {
				fmt.Printf("first frame after %.1f ms\n", float64(time.Since(start).Microseconds())/1000)
				return
			}
			if c.err != nil {
				fmt.Fprintf(os.Stderr, "firstframe: the program ended without text: %q\n", out)
				os.Exit(1)
			}
		case <-timeout:
			fmt.Fprintf(os.Stderr, "firstframe: no text after %s: %q\n", *limit, out)
			os.Exit(1)
		}
	}
}
