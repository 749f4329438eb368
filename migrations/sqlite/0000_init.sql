CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`staff_id` text NOT NULL,
	`office_id` text NOT NULL,
	`role` text NOT NULL,
	`prefix` text NOT NULL,
	`token_hash` blob NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_uq` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`citizen_id` text NOT NULL,
	`message_id` text,
	`name_enc` blob NOT NULL,
	`declared_type` text NOT NULL,
	`detected_type` text,
	`size` integer NOT NULL,
	`scan_state` text NOT NULL,
	`scan_detail` text,
	`blob_key` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `attachments_message_idx` ON `attachments` (`message_id`);--> statement-breakpoint
CREATE INDEX `attachments_citizen_idx` ON `attachments` (`citizen_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`seq` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`actor_kind` text NOT NULL,
	`actor_id` text,
	`action` text NOT NULL,
	`subject_kind` text,
	`subject_id` text,
	`office_id` text,
	`details` text NOT NULL,
	`prev_hash` blob NOT NULL,
	`hash` blob NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_subject_idx` ON `audit_log` (`subject_kind`,`subject_id`);--> statement-breakpoint
CREATE TABLE `citizens` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text,
	`customer_number` text,
	`email_lookup` blob NOT NULL,
	`email_enc` blob NOT NULL,
	`email_confirmed_at` integer,
	`password_hash` text NOT NULL,
	`security_level` text NOT NULL,
	`online_comm` integer NOT NULL,
	`online_comm_changed_at` integer,
	`notify_email` integer NOT NULL,
	`language` text NOT NULL,
	`dek_wrapped` blob NOT NULL,
	`dek_key_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `citizens_email_lookup_uq` ON `citizens` (`email_lookup`);--> statement-breakpoint
CREATE INDEX `citizens_office_idx` ON `citizens` (`office_id`,`customer_number`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`message_id` text NOT NULL,
	`destination_kind` text NOT NULL,
	`destination` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer NOT NULL,
	`external_id` text,
	`error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`delivered_at` integer,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_message_destination_uq` ON `deliveries` (`message_id`,`destination_kind`,`destination`);--> statement-breakpoint
CREATE INDEX `deliveries_state_idx` ON `deliveries` (`state`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`thread_id` text NOT NULL,
	`citizen_id` text NOT NULL,
	`office_id` text NOT NULL,
	`direction` text NOT NULL,
	`kind` text NOT NULL,
	`state` text NOT NULL,
	`citizen_folder` text NOT NULL,
	`body_enc` blob NOT NULL,
	`route_rule_id` text,
	`route_destinations` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`read_at` integer,
	`retrieved_at` integer,
	`trashed_at` integer,
	FOREIGN KEY (`thread_id`) REFERENCES `threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `messages_citizen_folder_idx` ON `messages` (`citizen_id`,`citizen_folder`,`created_at`);--> statement-breakpoint
CREATE INDEX `messages_thread_idx` ON `messages` (`thread_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `messages_office_state_idx` ON `messages` (`office_id`,`state`);--> statement-breakpoint
CREATE TABLE `offices` (
	`id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`efile_endpoint` text,
	`inbox_address` text,
	`allowed_senders` text NOT NULL,
	`routing_rules` text NOT NULL,
	`routing_version` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `offices_code_uq` ON `offices` (`code`);--> statement-breakpoint
CREATE TABLE `queue_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`payload` text NOT NULL,
	`state` text NOT NULL,
	`singleton_key` text NOT NULL,
	`attempt` integer NOT NULL,
	`retry_limit` integer NOT NULL,
	`retry_delay_ms` integer NOT NULL,
	`retry_backoff` integer NOT NULL,
	`expire_ms` integer NOT NULL,
	`dead_letter` text,
	`run_after` integer NOT NULL,
	`locked_until` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `queue_jobs_due_idx` ON `queue_jobs` (`name`,`state`,`run_after`);--> statement-breakpoint
CREATE UNIQUE INDEX `queue_jobs_singleton_uq` ON `queue_jobs` (`name`,`singleton_key`) WHERE state in ('created', 'active');--> statement-breakpoint
CREATE TABLE `search_tokens` (
	`citizen_id` text NOT NULL,
	`token_mac` blob NOT NULL,
	`message_id` text NOT NULL,
	PRIMARY KEY(`citizen_id`, `token_mac`, `message_id`),
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `search_tokens_message_idx` ON `search_tokens` (`message_id`);--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` blob PRIMARY KEY NOT NULL,
	`citizen_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`mfa_verified_at` integer,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_citizen_idx` ON `sessions` (`citizen_id`);--> statement-breakpoint
CREATE TABLE `staff` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text NOT NULL,
	`role` text NOT NULL,
	`label` text NOT NULL,
	`created_at` integer NOT NULL,
	`disabled_at` integer,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `staff_office_idx` ON `staff` (`office_id`);--> statement-breakpoint
CREATE TABLE `threads` (
	`id` text PRIMARY KEY NOT NULL,
	`citizen_id` text NOT NULL,
	`office_id` text NOT NULL,
	`category` text NOT NULL,
	`reference` text NOT NULL,
	`subject_enc` blob NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`citizen_id`) REFERENCES `citizens`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `threads_citizen_idx` ON `threads` (`citizen_id`,`updated_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `threads_reference_uq` ON `threads` (`reference`);