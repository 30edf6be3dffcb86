package appliance

import "missive/appliance/prefs"

// The user preferences' names the web pages, the API and the tests use.
type (
	BasketDef    = prefs.BasketDef
	BasketFilter = prefs.BasketFilter
	BasketsSet   = prefs.BasketsSet
	SearchSave   = prefs.SearchSave
	SearchDelete = prefs.SearchDelete
	LetterFollow = prefs.LetterFollow
	WeekCount    = prefs.WeekCount
)

const (
	KindBasketsSet     = prefs.KindBasketsSet
	KindSearchSave     = prefs.KindSearchSave
	KindSearchDelete   = prefs.KindSearchDelete
	KindLetterFollow   = prefs.KindLetterFollow
	KindLetterUnfollow = prefs.KindLetterUnfollow

	ScopeAll      = prefs.ScopeAll
	ScopeMine     = prefs.ScopeMine
	ScopeService  = prefs.ScopeService
	ScopeCopy     = prefs.ScopeCopy
	ScopeFollowed = prefs.ScopeFollowed

	ActionTake     = prefs.ActionTake
	ActionRedirect = prefs.ActionRedirect
	ActionClose    = prefs.ActionClose
	ActionReopen   = prefs.ActionReopen
	ActionFollow   = prefs.ActionFollow
	ActionUnfollow = prefs.ActionUnfollow
)

var (
	// Scopes and Actions are read only: the pages list them.
	Scopes  = prefs.Scopes
	Actions = prefs.Actions
)
