DROP INDEX `messages_citizen_folder_idx`;--> statement-breakpoint
CREATE INDEX `messages_citizen_folder_page_idx` ON `messages` (`citizen_id`,`citizen_folder`,`created_at`,`id`);