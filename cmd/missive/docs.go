package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// markdown writes the CLI reference (docs/cli.md) from the commands' own
// help texts and flags, so the documentation cannot drift from the code.
func markdown(w io.Writer) {
	fmt.Fprintln(w, "# Référence de la ligne de commande")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Générée par `missive help --markdown > docs/cli.md` ; ne pas modifier à la main.")
	for _, c := range commands {
		if strings.HasPrefix(c.name, "dev ") {
			continue // developer tools are documented by their -h only
		}
		var out bytes.Buffer
		run(append(strings.Fields(c.name), "-h"), strings.NewReader(""), &out, &out, func(string) string { return "" })
		fmt.Fprintf(w, "\n## missive %s\n\n%s.\n\n```\n%s```\n", c.name, c.short, out.String())
	}
}
