"""The template gallery (DESIGN §8, docs/templates.md): install a template into a
workspace as an app, archive and restore it, upgrade it to a newer template version, and
export an app back to a template zip. Templates themselves are data in
``templates_library``; this package is what turns them into forms, automations, tier
schemes, reports and records, through the same services people use."""
