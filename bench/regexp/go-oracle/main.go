// Go's regexp package as the oracle of bench/regexp/vs-go.ts: reads [{p, inputs, tmpl}] as JSON on
// stdin and writes, per case, the compile error or, per input, MatchString, FindStringSubmatchIndex
// (as UTF-16 offsets, as JavaScript counts) and ReplaceAllString with the template.
package main

import (
	"encoding/json"
	"os"
	"regexp"
	"unicode/utf16"
)

type Case struct {
	P      string   `json:"p"`
	Inputs []string `json:"inputs"`
	Tmpl   string   `json:"tmpl"`
}

type Result struct {
	Err   string   `json:"err,omitempty"`
	Match []bool   `json:"match"`
	Sub   [][]int  `json:"sub"`
	Repl  []string `json:"repl"`
}

func u16(s string, b int) int {
	if b < 0 {
		return -1
	}
	return len(utf16.Encode([]rune(s[:b])))
}

func main() {
	var cases []Case
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := make([]Result, len(cases))
	for i, c := range cases {
		re, err := regexp.Compile(c.P)
		if err != nil {
			out[i] = Result{Err: err.Error()}
			continue
		}
		r := Result{Match: []bool{}, Sub: [][]int{}, Repl: []string{}}
		for _, in := range c.Inputs {
			r.Match = append(r.Match, re.MatchString(in))
			idx := re.FindStringSubmatchIndex(in)
			if idx == nil {
				r.Sub = append(r.Sub, nil)
			} else {
				conv := make([]int, len(idx))
				for j, b := range idx {
					conv[j] = u16(in, b)
				}
				r.Sub = append(r.Sub, conv)
			}
			r.Repl = append(r.Repl, re.ReplaceAllString(in, c.Tmpl))
		}
		out[i] = r
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
