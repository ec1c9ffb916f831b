package mapping

import "bytes"

// span is a slice of pairs.arena, kept as offsets so the arena may grow.
type span struct{ off, n int32 }

type pair struct {
	name, value span
	next        int32 // next pair with the same name, or -1
}

type group struct{ head, tail, count int32 }

// pairs collects name/value pairs (headers, query parameters) and groups
// repeated names, in order of first appearance, without allocating once its
// slices have grown to the request's size. A map takes over the name lookup
// only for requests with many distinct names, so a flood of parameters costs
// linear time.
type pairs struct {
	arena  []byte
	list   []pair
	groups []group
	index  map[string]int32
}

const pairsIndexThreshold = 32

func (p *pairs) reset() {
	p.arena = p.arena[:0]
	p.list = p.list[:0]
	p.groups = p.groups[:0]
	p.index = nil
}

func (p *pairs) bytes(s span) []byte { return p.arena[s.off : s.off+s.n] }

// add appends a pair whose name and value were appended to the arena
// starting at nameOff and valueOff.
func (p *pairs) add(nameOff, valueOff int) {
	name := span{int32(nameOff), int32(valueOff - nameOff)}
	value := span{int32(valueOff), int32(len(p.arena) - valueOff)}
	idx := int32(len(p.list))
	p.list = append(p.list, pair{name: name, value: value, next: -1})
	g := p.find(p.bytes(name))
	if g < 0 {
		p.groups = append(p.groups, group{head: idx, tail: idx, count: 1})
		if p.index != nil {
			p.index[string(p.bytes(name))] = int32(len(p.groups) - 1)
		}
		return
	}
	p.list[p.groups[g].tail].next = idx
	p.groups[g].tail = idx
	p.groups[g].count++
}

func (p *pairs) find(name []byte) int32 {
	if p.index != nil {
		if g, ok := p.index[string(name)]; ok {
			return g
		}
		return -1
	}
	for g := range p.groups {
		if bytes.Equal(p.bytes(p.list[p.groups[g].head].name), name) {
			return int32(g)
		}
	}
	if len(p.groups) >= pairsIndexThreshold {
		p.index = make(map[string]int32, 2*len(p.groups))
		for g := range p.groups {
			p.index[string(p.bytes(p.list[p.groups[g].head].name))] = int32(g)
		}
	}
	return -1
}

// appendLower appends b lower-cased to the arena.
func (p *pairs) appendLower(b []byte) {
	for _, c := range b {
		p.arena = append(p.arena, lower(c))
	}
}

// appendUnescaped appends the percent-decoded form of b to the arena; with
// plus set, '+' decodes to a space (query strings). Malformed escapes are
// kept literally.
func (p *pairs) appendUnescaped(b []byte, plus bool) {
	p.arena = AppendUnescaped(p.arena, b, plus)
}

// AppendUnescaped appends the percent-decoded form of b to dst; with plus
// set, + decodes to a space (query strings). Malformed escapes are kept
// literally, as API Gateway passes them on.
func AppendUnescaped(dst, b []byte, plus bool) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '%' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]):
			dst = append(dst, unhex(b[i+1])<<4|unhex(b[i+2]))
			i += 2
		case c == '+' && plus:
			dst = append(dst, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// rawPrefixLen returns how many bytes at the start of raw AppendUnescaped
// decodes into the first n bytes of its output.
func rawPrefixLen(raw []byte, n int) int {
	i := 0
	for ; i < len(raw) && n > 0; n-- {
		if raw[i] == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]) {
			i += 3
		} else {
			i++
		}
	}
	return i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
