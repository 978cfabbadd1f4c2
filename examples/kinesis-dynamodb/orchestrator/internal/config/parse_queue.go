package config

import "strconv"

// count reads a whole number from 1 to 1000, for the queue consumers' counts.
func (p *parser) count(key string) int {
	v := p.value(key)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		p.fail(key, v, "want a whole number from 1 to 1000")
		return 0
	}
	return n
}
