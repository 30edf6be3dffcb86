package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Code is read on a screen: a function that does not fit on one is split
// into named steps, a file of more than a few hundred lines into files of
// one concern each. Test files are left out (a table of cases may be long).
const (
	maxFuncLines = 80
	maxFileLines = 600
)

// oversized are the functions and files still over the limits, in code
// that was being changed when the limits came (issue 15). Each one is to
// be split and taken off the list; nothing is to be added to it. A key is
// a function ("path: Name", a method "path: Type.Name") or a file (path).
var oversized = map[string]bool{}

// tooLong lists the non-test functions and files of the tree at root over
// the limits, with their line counts. A function counts from its func
// line to its closing brace.
func tooLong(t *testing.T, root string, maxFunc, maxFile int) map[string]int {
	t.Helper()
	over := map[string]int{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if n := fset.File(f.Pos()).LineCount(); n > maxFile {
			over[rel] = n
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			n := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			if n > maxFunc {
				over[rel+": "+funcName(fd)] = n
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return over
}

// funcName is a function's name, a method's prefixed with its receiver's
// type: two types of a file may have methods of the same name.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	switch x := typ.(type) {
	case *ast.IndexExpr:
		typ = x.X
	case *ast.IndexListExpr:
		typ = x.X
	}
	if id, ok := typ.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

func TestFunctionsAndFilesFitAScreen(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from internal/arch: %v", err)
	}
	over := tooLong(t, root, maxFuncLines, maxFileLines)
	var keys []string
	for k := range over {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !oversized[k] {
			t.Errorf("%s: %d lines, over the limit (functions %d, files %d): split it along its steps", k, over[k], maxFuncLines, maxFileLines)
		}
	}
	// A listed one now under the limits comes off the list, so that the
	// list only shrinks.
	for k := range oversized {
		if _, ok := over[k]; !ok {
			t.Errorf("%s is under the limits now: take it off oversized", k)
		}
	}
}

// maxPackageLines bounds the non-test lines of one package's own files:
// past it, a package holds more than one concern (issue 15 split the
// appliance's 7,000 lines into a kernel and features).
const maxPackageLines = 2500

// bigPackages are the packages still over maxPackageLines, each with the
// size it may not grow past. They are to be split and taken off the
// list; nothing is to be added to it.
var bigPackages = map[string]int{
	"cluster":         5500,
	"appliance/web":   5300,
	"appliance/store": 4800,
	"backup":          4200,
	"mailbridge":      4000,
	"cmd/missive":     4000,
}

// packageLines counts the non-test lines of each package directory under root.
func packageLines(t *testing.T, root string) map[string]int {
	t.Helper()
	lines := map[string]int{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		lines[filepath.ToSlash(rel)] += strings.Count(string(b), "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestPackagesStayOneConcern(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	lines := packageLines(t, root)
	if lines["appliance/kernel"] == 0 || lines["appliance"] == 0 {
		t.Fatalf("the count saw no appliance: %v", lines)
	}
	for pkg, n := range lines {
		limit := maxPackageLines
		if big, ok := bigPackages[pkg]; ok {
			limit = big
		}
		if n > limit {
			t.Errorf("%s: %d lines in the package's own files, over %d: split it into packages of one concern", pkg, n, limit)
		}
	}
}
