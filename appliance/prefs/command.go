package prefs

import "missive/appliance/kernel"

// Commands of the user preferences. They are registered in apply.go.
const (
	KindBasketsSet     kernel.Kind = "baskets.set"
	KindSearchSave     kernel.Kind = "search.save"
	KindSearchDelete   kernel.Kind = "search.delete"
	KindLetterFollow   kernel.Kind = "letter.follow"
	KindLetterUnfollow kernel.Kind = "letter.unfollow"
)

type BasketsSet struct {
	Role    string      `json:"role"`
	Baskets []BasketDef `json:"baskets"`
}

type SearchSave struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Query string `json:"query"`
}

type SearchDelete struct {
	ID string `json:"id"`
}

type LetterFollow struct {
	LetterID string `json:"letter_id"`
}
