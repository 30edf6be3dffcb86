-- How the public reaches the commune and each of its services: what an
-- acknowledgement must give (CRPA R112-5: designation, postal address,
-- e-mail and phone of the service in charge). An entity's empty field is
-- its parent's, then the commune's (appliance.ServiceInCharge).
ALTER TABLE tenants ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN website TEXT NOT NULL DEFAULT '';
ALTER TABLE entities ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE entities ADD COLUMN phone TEXT NOT NULL DEFAULT '';
