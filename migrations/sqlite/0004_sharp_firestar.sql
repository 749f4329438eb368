CREATE TABLE `routing_rule_versions` (
	`office_id` text NOT NULL,
	`version` integer NOT NULL,
	`rules` text NOT NULL,
	`changed_by` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`office_id`, `version`),
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `service_center_items` (
	`id` text PRIMARY KEY NOT NULL,
	`office_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`message_id` text NOT NULL,
	`thread_id` text NOT NULL,
	`queue` text NOT NULL,
	`state` text NOT NULL,
	`claimed_by` text,
	`lease_until` integer,
	`due_at` integer NOT NULL,
	`overdue` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`office_id`) REFERENCES `offices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`delivery_id`) REFERENCES `deliveries`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`thread_id`) REFERENCES `threads`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_center_items_delivery_uq` ON `service_center_items` (`delivery_id`);--> statement-breakpoint
CREATE INDEX `service_center_items_queue_idx` ON `service_center_items` (`office_id`,`queue`,`state`,`due_at`);--> statement-breakpoint
CREATE INDEX `service_center_items_due_idx` ON `service_center_items` (`state`,`due_at`);