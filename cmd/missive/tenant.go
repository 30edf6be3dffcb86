package main

import (
	"flag"
	"strconv"

	"missive/appliance/control"
)

// The commune's details. Like `missive user …`, they go through the running
// server's control socket, or open the data dir when it is stopped.

const tenantSetHelp = `Règle le nom et les coordonnées de la commune, qu'impriment les accusés de réception
(mentions de l'article R. 112-5 du code des relations entre le public et l'administration)
et les projets de réponse. Seules les options données changent. Exemple:
  missive tenant set --data /var/lib/missive --tenant default --name "Ville de Saint-Martin" \
    --address $'1 place de la Mairie\n67000 Saint-Martin' --phone "03 88 00 00 00" \
    --email mairie@saint-martin.fr --website https://www.saint-martin.fr --alsace-moselle
--address prend une ligne par ligne d'adresse ($'…\n…' dans bash). --alsace-moselle (=false pour
l'ôter) compte le Vendredi saint et le 26 décembre comme fériés dans les dates limites
calculées ensuite; celles des courriers déjà enregistrés ne changent pas. Les services
(entités) ont leurs propres coordonnées, réglées dans Administration › Entités; vides,
ce sont celles de l'entité parente, puis de la commune.`

func runTenantSet(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "tenant.set", TenantSet: &control.TenantRequest{}}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	set := req.TenantSet
	for _, f := range []struct {
		name, usage string
		dst         **string
	}{
		{"name", "nom de la commune tel que l'écrivent ses courriers, ex. « Ville de Saint-Martin »", &set.Name},
		{"address", "adresse postale de la mairie, une ligne par ligne d'adresse", &set.Address},
		{"phone", "téléphone de l'accueil", &set.Phone},
		{"email", "adresse électronique de contact", &set.Email},
		{"website", "site internet, ex. https://www.ville.fr", &set.Website},
	} {
		c.fs.Func(f.name, f.usage, func(v string) error { *f.dst = &v; return nil })
	}
	c.fs.BoolFunc("alsace-moselle", "jours fériés d'Alsace-Moselle (Vendredi saint, 26 décembre); --alsace-moselle=false pour les ôter", func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		set.AlsaceMoselle = &b
		return nil
	})
	if err := c.parse(false); err != nil {
		return err
	}
	given := false
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "name", "address", "phone", "email", "website", "alsace-moselle":
			given = true
		}
	})
	if !given {
		return &exitError{2, "rien à changer: donnez --name, --address, --phone, --email, --website ou --alsace-moselle"}
	}
	return c.control(req)
}

func runTenantShow(c *cli) error {
	c.dataFlags()
	req := control.Request{Op: "tenant.show"}
	c.fs.StringVar(&req.Tenant, "tenant", "default", "commune")
	if err := c.parse(false); err != nil {
		return err
	}
	return c.control(req)
}
