ALTER TABLE `attachments` ADD `quarantined_at` integer;--> statement-breakpoint
ALTER TABLE `attachments` ADD `purged_at` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `checked_at` integer;