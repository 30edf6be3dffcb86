package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"missive/appliance/api"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// The letter list shared by baskets, the search page and the home page.

const perPage = 25

type letterRow struct {
	domain.Letter
	// DueDays is the number of days from today to the due date (negative
	// when late); DueState is "late", "soon" (3 days or less) or "ok".
	DueDays  int
	DueState string
}

type column struct {
	Key, Label, Href string
	Sort             string // aria-sort: ascending, descending or none
}

type listView struct {
	Rows       []letterRow
	Cols       []column
	Total      int
	TotalText  string // "999+" when the count stopped there
	Page       int
	Pages      int
	Prev, Next string
	// Selectable lists carry a checkbox per row for the basket's actions.
	Selectable bool
	Caption    string
}

var listColumns = []string{"number", "subject", "sender", "entity", "arrival", "due", "priority"}

// rows adds to each letter what the list shows about its due date.
func rows(today time.Time, ls []domain.Letter) []letterRow {
	out := make([]letterRow, len(ls))
	for i, l := range ls {
		out[i] = letterRow{Letter: l}
		if l.DueDate == "" || l.Status == domain.StatusClosed {
			continue
		}
		d, err := time.Parse(domain.DateLayout, l.DueDate)
		if err != nil {
			continue
		}
		days := int(d.Sub(today).Hours() / 24)
		out[i].DueDays = days
		switch {
		case days < 0:
			out[i].DueState = "late"
		case days <= 3:
			out[i].DueState = "soon"
		default:
			out[i].DueState = "ok"
		}
	}
	return out
}

// pageParam reads ?page=, 1 when absent or wrong; a page past any list
// (whose offset would overflow) is the last one that can exist.
func pageParam(r *http.Request) int {
	p, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || p < 1 {
		return 1
	}
	return min(p, api.MaxOffset/perPage+1)
}

// list builds a list view of a page of letters. Sort links and pagination
// keep the page's other query parameters.
func (s *Server) list(r *http.Request, lang string, ls []domain.Letter, total int, f store.LetterFilter, page int) listView {
	v := listView{Rows: rows(s.svc.Today(), ls), Total: total, TotalText: strconv.Itoa(total), Page: page, Pages: (total + perPage - 1) / perPage}
	if v.Pages == 0 {
		v.Pages = 1
	}
	base := r.URL.Query()
	base.Del("page")
	for _, c := range listColumns {
		q := cloneValues(base)
		q.Set("sort", c)
		col := column{Key: c, Label: tr(lang, "col."+c), Sort: "none"}
		if f.Sort == c {
			col.Sort = "ascending"
			if f.Desc {
				col.Sort = "descending"
			} else {
				q.Set("desc", "true")
			}
		}
		if f.Sort != c || f.Desc {
			q.Del("desc")
		}
		col.Href = "?" + q.Encode()
		v.Cols = append(v.Cols, col)
	}
	if page > 1 {
		q := cloneValues(base)
		q.Set("page", strconv.Itoa(page-1))
		v.Prev = "?" + q.Encode()
	}
	if page < v.Pages {
		q := cloneValues(base)
		q.Set("page", strconv.Itoa(page+1))
		v.Next = "?" + q.Encode()
	}
	return v
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = append([]string(nil), x...)
	}
	return out
}

// sortParams reads ?sort= and ?desc=; a list sorts by arrival, newest
// first, unless asked otherwise.
func sortParams(r *http.Request) (string, bool) {
	q := r.URL.Query()
	sort := q.Get("sort")
	if sort == "" || !store.ValidSort(sort) {
		return "arrival", true
	}
	return sort, q.Get("desc") == "true"
}
