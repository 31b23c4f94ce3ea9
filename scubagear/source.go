package scubagear

import (
	"bytes"
	"errors"
	"io"
)

// errTooLarge is returned by source.Read once the body goes past its limit.
var errTooLarge = errors.New("scubagear: report exceeds the body limit")

// utf8BOM is the byte-order mark PowerShell writes at the start of a file.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

const (
	// maxChunk bounds one Read, so that a syntax error the JSON decoder
	// reports always lies in the last window of bytes read.
	maxChunk = 32 << 10
	// windowSize is how many of the most recent bytes source keeps to
	// turn an error offset into a line and column. The decoder detects an
	// error in the chunk it read last; two chunks give room to spare.
	windowSize = 2 * maxChunk
)

// source reads a report for the JSON decoder: it drops a leading UTF-8
// byte-order mark, refuses to read past a limit, and remembers just enough
// of what it read to place an error at a line and column.
type source struct {
	r     io.Reader
	limit int64

	started bool
	pending []byte // bytes read while looking for the byte-order mark
	bom     int    // length of the dropped byte-order mark
	utf16   bool   // the body starts with a UTF-16 byte-order mark
	// nonBlank is set once anything but white space follows the mark.
	nonBlank bool
	readErr  error // the underlying reader's error, other than io.EOF

	n      int64  // bytes of the file read so far, the mark included
	window []byte // the last bytes read: file offsets [n-len(window), n)
	// Line bookkeeping for the first byte of window: its 1-based line and
	// the file offset where that line starts.
	winLine      int
	winLineStart int64
}

func newSource(r io.Reader, limit int64) *source {
	return &source{r: r, limit: limit, winLine: 1}
}

func (s *source) Read(p []byte) (int, error) {
	if !s.started {
		s.started = true
		if err := s.start(); err != nil {
			return 0, err
		}
	}
	if len(s.pending) > 0 {
		n := copy(p, s.pending)
		s.pending = s.pending[n:]
		s.look(p[:n])
		return n, nil
	}
	if len(p) > maxChunk {
		p = p[:maxChunk]
	}
	if s.n >= s.limit {
		// Probe for one more byte: a body of exactly the limit is fine.
		var one [1]byte
		n, err := io.ReadFull(s.r, one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return 0, s.failed(err)
	}
	if rest := s.limit - s.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.r.Read(p)
	s.remember(p[:n])
	s.look(p[:n])
	return n, s.failed(err)
}

// failed records an error of the underlying reader and passes it on.
func (s *source) failed(err error) error {
	if err != nil && err != io.EOF {
		s.readErr = err
	}
	return err
}

// look notes whether b, which follows the byte-order mark, holds anything
// but JSON white space.
func (s *source) look(b []byte) {
	if s.nonBlank {
		return
	}
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			s.nonBlank = true
			return
		}
	}
}

// start reads the first bytes to find a byte-order mark.
func (s *source) start() error {
	head := make([]byte, len(utf8BOM))
	n, err := io.ReadFull(s.r, head)
	head = head[:n]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return s.failed(err)
	}
	s.remember(head)
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		s.bom = len(utf8BOM)
		s.winLineStart = int64(s.bom) // columns of the first line start after the mark
		head = head[len(utf8BOM):]
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		s.utf16 = true
	}
	s.pending = head
	return nil
}

// remember appends freshly read bytes to the window, dropping the oldest
// bytes (and counting their lines) once it grows past windowSize.
func (s *source) remember(b []byte) {
	s.n += int64(len(b))
	s.window = append(s.window, b...)
	if len(s.window) <= 2*windowSize {
		return
	}
	drop := len(s.window) - windowSize
	start := s.n - int64(len(s.window))
	for i, c := range s.window[:drop] {
		if c == '\n' {
			s.winLine++
			s.winLineStart = start + int64(i) + 1
		}
	}
	s.window = append(s.window[:0], s.window[drop:]...)
}

// position is where in the file an error lies.
type position struct {
	Offset int64  // 0-based byte offset in the file, the byte-order mark included
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based byte column; 0 when unknown
	Found  string // the character at Offset, "" at the end of the input
}

// at returns the position of a decoder offset (which does not count the
// byte-order mark).
func (s *source) at(decoderOffset int64) position {
	p := position{Offset: decoderOffset + int64(s.bom)}
	start := s.n - int64(len(s.window))
	if p.Offset < start || p.Offset > s.n {
		return p
	}
	p.Line = s.winLine
	lineStart := s.winLineStart
	rel := int(p.Offset - start)
	for i, c := range s.window[:rel] {
		if c == '\n' {
			p.Line++
			lineStart = start + int64(i) + 1
		}
	}
	p.Column = int(p.Offset-lineStart) + 1
	if rel < len(s.window) {
		p.Found = foundChar(s.window[rel:])
	}
	return p
}

// end returns the position just past the last byte read.
func (s *source) end() position { return s.at(s.n - int64(s.bom)) }
