package main

import (
	"fmt"
	"os"
)

func mustExist(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return &exitError{1, fmt.Sprintf("dossier de données %s introuvable: %v", dir, err)}
	}
	return nil
}
