CREATE TABLE `efile_replies` (
	`office_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`thread_id` text NOT NULL,
	`message_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`office_id`, `idempotency_key`),
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`thread_id`) REFERENCES `threads`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `inbound_mails` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text NOT NULL,
	`state` text NOT NULL,
	`reason` text,
	`channel` text NOT NULL,
	`size` integer NOT NULL,
	`header_count` integer NOT NULL,
	`part_count` integer NOT NULL,
	`attachment_count` integer NOT NULL,
	`blob_key` text,
	`thread_id` text,
	`message_id` text,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`thread_id`) REFERENCES `threads`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `inbound_mails_office_state_idx` ON `inbound_mails` (`office_id`,`state`,`received_at`);