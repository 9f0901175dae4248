"""HealthDCAT-AP for the catalogue: download links and exports (`views`, `export`), and the import
of another portal's DCAT-AP catalogue as draft datasets (`importer`, command `import_dcat`)."""
