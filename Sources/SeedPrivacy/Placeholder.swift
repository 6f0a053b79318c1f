enum SeedPrivacyPlaceholder {}
